"""Statistics, the Ministry's report forms, exports and signed exports over HTTP, with the same scope and clearance as the pages."""

from ninja import Router

router = Router(tags=["reports"])
