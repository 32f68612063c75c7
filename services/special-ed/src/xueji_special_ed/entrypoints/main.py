"""`xueji-special-ed serve | migrate`: the service's gRPC server process and its migrations."""

from xueji_common.runtime.service_main import service_cli

main = service_cli("special-ed")
