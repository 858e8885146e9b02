-- intake.c
INSERT INTO reissue_requests (application_id, license_number,
annex_only, reorganization) VALUES ($1, $2, $3, $4);
