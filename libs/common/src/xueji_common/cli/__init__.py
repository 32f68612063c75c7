"""The `xueji` command line: operators' client. Services add their command groups through the
entry point group `xueji.cli` (a click command or group each)."""
