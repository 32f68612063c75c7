"""Helpers for the project's tests: real PostgreSQL databases and RabbitMQ vhosts, made fresh."""
