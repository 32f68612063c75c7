"""Assembling services into processes: the spec each service declares, and the runners."""
