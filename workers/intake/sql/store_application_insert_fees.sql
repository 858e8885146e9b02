-- intake.c
INSERT INTO fees (application_id, paid_via, amount_kzt, payment_ref, due_kzt, paid_at, mci_year,
                  mci_kzt)
VALUES ($1, $2, $3, $4, $5, $6, $7::integer, $8::bigint);
