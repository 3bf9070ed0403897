-- Every object of the extension says what it is in pgAdmin, DBeaver and psql's \d+ / \df+:
-- each function, table, view and column has a comment (src/catalog/comments.sql).
SELECT 'function ' || p.oid::regprocedure AS without_comment
FROM pg_proc p
WHERE p.pronamespace = 'anomdet'::regnamespace
  AND obj_description(p.oid, 'pg_proc') IS NULL
UNION ALL
SELECT 'relation ' || c.oid::regclass
FROM pg_class c
WHERE c.relnamespace = 'anomdet'::regnamespace AND c.relkind IN ('r', 'v', 'p')
  AND obj_description(c.oid, 'pg_class') IS NULL
UNION ALL
SELECT 'column ' || c.oid::regclass || '.' || a.attname
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'anomdet'::regnamespace AND c.relkind IN ('r', 'v', 'p')
  AND col_description(c.oid, a.attnum) IS NULL
ORDER BY 1;

SELECT count(*) FILTER (WHERE c.relkind = 'r') AS tables, count(*) FILTER (WHERE c.relkind = 'v') AS views,
       sum((SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)) AS columns,
       (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'anomdet'::regnamespace) AS functions
FROM pg_class c WHERE c.relnamespace = 'anomdet'::regnamespace AND c.relkind IN ('r', 'v', 'p');

-- What \df+ shows for the main entry point.
SELECT obj_description('anomdet.detect(regclass, text, text, jsonb, text, text, text, text, text, boolean, timestamptz, timestamptz, bigint, text)'::regprocedure, 'pg_proc') AS detect;
SELECT col_description('anomdet.results'::regclass, 6) AS results_is_anomaly;

-- Only the extension's owner may rewrite them.
CREATE ROLE comments_user;
SET ROLE comments_user;
SELECT anomdet._apply_comments();
RESET ROLE;
DROP ROLE comments_user;
