-- Extensions and helper functions the tables rely on. Runs on PostgreSQL 15+ and on PGlite (PostgreSQL 18).
-- unaccent and pg_trgm are trusted extensions: the database owner may create them without superuser rights.
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
-- unaccent() is only STABLE (its dictionary could change), so it cannot feed a generated column or an index.
-- This wrapper names the dictionary explicitly and is declared IMMUTABLE, the usual way to index it.
-- 'đ'/'Đ' are covered by unaccent's rules; lower() makes search case-insensitive.
CREATE OR REPLACE FUNCTION an_sinh_search_text(input text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, input)) $$;
