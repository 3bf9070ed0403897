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

-- Several columns scored together, each flagged row explained by its columns' shares.
CREATE FUNCTION anomdet.detect_columns(
    "source" regclass,
    "value_columns" text[],
    "detector" text DEFAULT 'isolation_forest',
    "params" jsonb DEFAULT '{}',
    "time_column" text DEFAULT NULL,
    "series_column" text DEFAULT NULL,
    "explain" text DEFAULT 'flagged'
) RETURNS TABLE (
    "ts" timestamp with time zone,
    "series" text,
    "score" double precision,
    "is_anomaly" boolean,
    "contributions" jsonb
)
STABLE PARALLEL RESTRICTED
LANGUAGE c
AS 'MODULE_PATHNAME', 'detect_columns_wrapper';

CREATE FUNCTION anomdet.multivariate_detectors() RETURNS TABLE (
    "name" text,
    "params" jsonb,
    "description" text,
    "explanation" text
)
STRICT STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'multivariate_detectors_wrapper';
