-- intake.c
INSERT INTO reissue_grounds (application_id, ground)
SELECT $1, jsonb_array_elements_text($2::jsonb);
