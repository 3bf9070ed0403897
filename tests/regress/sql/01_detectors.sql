-- The detector listing: names, capabilities and every parameter with a default and a range.
SELECT name, family, online, multivariate, jsonb_array_length(params) AS n_params
FROM anomdet.detectors() ORDER BY name;

SELECT d.name, p->>'name' AS param, p->>'type' AS type, p->'default' AS "default", p->>'range' AS range
FROM anomdet.detectors() d, jsonb_array_elements(d.params) p
ORDER BY d.name, p->>'name';

-- Every detector has a one-line description.
SELECT count(*) AS without_description FROM anomdet.detectors() WHERE coalesce(description, '') = '';

-- What one pass of each costs as its series grows, per mode; online detectors say both.
SELECT name, online, cost FROM anomdet.detectors() ORDER BY name;
SELECT count(*) AS online_without_online_cost FROM anomdet.detectors()
WHERE online AND cost NOT LIKE '%; online: %';
