"""Migrations for MongoDB mode (MONGO_URI set): ObjectId keys; `make migrations` writes them."""
