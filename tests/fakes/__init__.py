"""Real local HTTP servers speaking each channel API's request and response shapes, with faults
injected per request (tests/fakes/server.py); one module per API."""
