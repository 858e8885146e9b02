-- intake.c
INSERT INTO production_bases (application_id, region, address)
VALUES ($1, $2, $3);
