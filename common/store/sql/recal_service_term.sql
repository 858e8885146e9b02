-- recal.c: pending service terms (¶7) that may cross a changed day ($1 .. $2), after key $3,
-- not yet moved by calendar version $5: key, application, portal_ref, service deadline, origin
-- and due (epoch seconds), and what the statutory count of working days depends on (recal.c's
-- statutory()).
SELECT a.application_id::text, a.application_id, a.portal_ref,
       extract(epoch FROM a.service_deadline)::bigint, extract(epoch FROM a.registered_at)::bigint,
       extract(epoch FROM a.service_deadline)::bigint,
       a.kind
FROM applications a
WHERE a.stage NOT IN ('license_issued', 'license_reissued', 'refused', 'refused_incomplete')
  AND a.registered_at < to_timestamp($2) AND a.service_deadline >= to_timestamp($1)
  AND a.application_id > $3::uuid
  AND NOT EXISTS (SELECT 1 FROM deadline_changes c WHERE c.calendar_version = $5::integer
                  AND c.deadline = 'service_term' AND c.ref = a.application_id::text)
ORDER BY a.application_id LIMIT $4::integer;
