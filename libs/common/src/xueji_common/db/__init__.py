"""Database plumbing shared by the services: engines, unit of work, messaging tables, migrations."""
