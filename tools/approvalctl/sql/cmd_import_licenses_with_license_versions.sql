-- cmd_licenses.c
WITH l AS (INSERT INTO licenses (number, holder_type, holder_id,
holder_name, first_issued_on, imported) VALUES ($1, $2, $3, $4,
$5::date, true) ON CONFLICT (number) DO NOTHING RETURNING number)
INSERT INTO license_versions (number, version, kind, holder_id,
holder_name, issued_on) SELECT number, 1, 'import', $3, $4,
$5::date FROM l;
