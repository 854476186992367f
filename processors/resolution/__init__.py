"""The resolver (stateful, one partition): versions and copies, then events, then the changes to publish."""
