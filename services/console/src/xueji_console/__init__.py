"""Xueji web console: the manual's screens over the public gRPC APIs. Owns sessions and views only."""
