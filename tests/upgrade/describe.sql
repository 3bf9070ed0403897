-- Everything the anomdet extension defines, one line per fact, in a stable order: compared
-- between a fresh install, an updated one and a restored one (tests/upgrade.sh). Columns are
-- listed by their position among live columns, so an update that appends a column where a
-- fresh install puts it elsewhere shows up as a difference.
\pset format unaligned
\pset tuples_only on
WITH ns AS (SELECT 'anomdet'::regnamespace AS oid),
facts AS (
    SELECT 'function ' || p.oid::regprocedure::text
           || ' -> ' || coalesce(pg_get_function_result(p.oid), '(procedure)')
           || ' args(' || pg_get_function_arguments(p.oid) || ')'
           || ' kind=' || p.prokind::text || ' volatility=' || p.provolatile::text || ' parallel=' || p.proparallel::text
           || ' strict=' || p.proisstrict || ' secdef=' || p.prosecdef
           || ' config=' || coalesce(array_to_string(p.proconfig, ','), '-')
           || ' lang=' || l.lanname
           || ' body=' || CASE WHEN l.lanname = 'c' THEN p.prosrc ELSE md5(p.prosrc) END
           || ' owner=' || pg_get_userbyid(p.proowner)
           || ' acl=' || coalesce(p.proacl::text, 'default') AS fact
    FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang, ns WHERE p.pronamespace = ns.oid
    UNION ALL
    SELECT 'relation ' || c.relname || ' kind=' || c.relkind::text || ' rls=' || c.relrowsecurity
           || ' force_rls=' || c.relforcerowsecurity || ' owner=' || pg_get_userbyid(c.relowner)
           || ' acl=' || coalesce(c.relacl::text, 'default')
           || CASE WHEN c.relkind = 'v' THEN ' view=' || md5(pg_get_viewdef(c.oid)) ELSE '' END
    FROM pg_class c, ns WHERE c.relnamespace = ns.oid
    UNION ALL
    SELECT 'column ' || c.relname || '.' || a.attname
           || ' #' || row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)
           || ' ' || format_type(a.atttypid, a.atttypmod) || ' not_null=' || a.attnotnull
           || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-')
           || ' generated=' || a.attgenerated::text || ' identity=' || a.attidentity::text
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum, ns
    WHERE c.relnamespace = ns.oid AND c.relkind IN ('r', 'v', 'p')
    UNION ALL
    SELECT 'constraint ' || c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid, ns WHERE c.relnamespace = ns.oid
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid, ns WHERE c.relnamespace = ns.oid
    UNION ALL
    SELECT 'policy ' || c.relname || '.' || p.polname || ' cmd=' || p.polcmd::text || ' permissive=' || p.polpermissive
           || ' roles=' || p.polroles::regrole[]::text
           || ' using=' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-')
           || ' check=' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-')
    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid, ns WHERE c.relnamespace = ns.oid
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid)
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid, ns WHERE c.relnamespace = ns.oid AND NOT t.tgisinternal
    UNION ALL
    SELECT 'type ' || t.typname || ' kind=' || t.typtype::text
           || coalesce(' labels=' || (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid), '')
    FROM pg_type t, ns WHERE t.typnamespace = ns.oid AND t.typtype IN ('e', 'd', 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)
    UNION ALL
    SELECT 'comment ' || d.classoid::regclass || ' ' || coalesce(c.relname, p.oid::regprocedure::text, d.objoid::text)
           || ' sub=' || d.objsubid || ' ' || md5(d.description)
    FROM pg_description d
    LEFT JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
    LEFT JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid, ns
    WHERE coalesce(c.relnamespace, p.pronamespace) = ns.oid
    UNION ALL
    SELECT 'config_dump ' || x.rel::regclass::text || ' where=' || coalesce(nullif(x.c, ''), '-')
    FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(rel, c)
    WHERE e.extname = 'anomdet'
    UNION ALL
    SELECT 'member_objects ' || d.classid::regclass || ' ' || count(*)
    FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_extension'::regclass
    WHERE e.extname = 'anomdet' AND d.deptype = 'e' GROUP BY d.classid
    UNION ALL
    SELECT 'not_a_member ' || c.relname FROM pg_class c, ns WHERE c.relnamespace = ns.oid
      AND c.relkind NOT IN ('i', 't')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
)
SELECT regexp_replace(fact, '\s+', ' ', 'g') AS line FROM facts ORDER BY regexp_replace(fact, '\s+', ' ', 'g') COLLATE "C";
