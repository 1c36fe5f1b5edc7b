"""MongoDB mode: tests marked `mongodb` need a replica set named by MONGO_URI; helpers for the rest."""
