"""The timeline web page: its routes, the read queries behind `GET /timeline?detail=true`, assets."""
