-- intake.c
INSERT INTO application_subtypes (application_id, code)
SELECT $1, unnest($2::smallint[]);
