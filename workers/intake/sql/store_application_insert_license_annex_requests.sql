-- intake.c: the license an issue adds its annex to (Standard row 5).
INSERT INTO license_annex_requests (application_id, license_number) VALUES ($1, $2);
