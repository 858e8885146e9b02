-- recal.c: one deadline moved by calendar version $1, recorded.
INSERT INTO deadline_changes (calendar_version, application_id, deadline, ref, old_due, new_due,
                              past, act, at)
VALUES ($1::integer, $2::uuid, $3, $4, to_timestamp($5), to_timestamp($6), $7::boolean, $8,
        to_timestamp($9));
