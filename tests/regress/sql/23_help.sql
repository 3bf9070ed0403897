-- The first ten minutes in psql: anomdet.help() lists every public function with its
-- description and an example; run in step order from scratch, every example succeeds.
SELECT p.proname AS without_example
FROM pg_proc p WHERE p.pronamespace = 'anomdet'::regnamespace AND p.proname NOT LIKE '\_%'
EXCEPT SELECT function FROM anomdet.help()
ORDER BY 1;

SELECT step, function, description IS NOT NULL AS described, length(example) > 20 AS has_example
FROM anomdet.help() ORDER BY step;

-- Every example, as a user pastes it (each its own statement); only an error would print.
\o /dev/null
SELECT example FROM anomdet.help() ORDER BY step \gexec
\o
SELECT count(*) AS help_tables FROM pg_class WHERE relname IN ('help_metrics', 'help_hosts', 'help_live');
SELECT name, status FROM anomdet.jobs WHERE name LIKE 'help%' ORDER BY id;
SELECT count(*) AS models_left FROM anomdet.models WHERE name LIKE 'help%';
SELECT status FROM anomdet.injections WHERE relation LIKE '%help_metrics';
