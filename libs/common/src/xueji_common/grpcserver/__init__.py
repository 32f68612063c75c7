"""gRPC server bootstrap: authentication, metrics, error mapping, health, reflection, shutdown."""
