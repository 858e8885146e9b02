-- intake.c
INSERT INTO applicants (application_id, type, iin, bin, name, address,
email, phone) VALUES ($1, $2, $3, $4, $5, $6, $7, $8);
