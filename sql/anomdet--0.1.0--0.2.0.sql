SET LOCAL search_path TO pg_catalog, pg_temp;

-- Registered detectors keep their function as its qualified signature and the function's owner
-- at registration: a regprocedure column made pg_upgrade refuse every cluster with anomdet in
-- it. Signatures are written qualified because this script's search_path holds only pg_catalog.
ALTER TABLE anomdet.custom_detectors ALTER COLUMN function TYPE text USING function::text;
ALTER TABLE anomdet.custom_detectors ADD COLUMN function_owner name;
UPDATE anomdet.custom_detectors c
SET function_owner = coalesce((SELECT pg_get_userbyid(p.proowner) FROM pg_proc p WHERE p.oid = to_regprocedure(c.function)),
                              c.owner);
ALTER TABLE anomdet.custom_detectors ALTER COLUMN function_owner SET NOT NULL;
