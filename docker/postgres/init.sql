-- Runs once, when the postgres volume is first created.
-- The eventstoredb api keeps its projections here, apart from the postgres api's events and projections.
CREATE DATABASE conventions_esdb;
