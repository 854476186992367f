"""Newsline's composition root: settings, the embedded broker, the stack runner and the CLI."""
