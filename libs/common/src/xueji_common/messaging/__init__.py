"""Events: envelopes, the outbox relay, publishers (RabbitMQ through nameko, in-process), consumers."""
