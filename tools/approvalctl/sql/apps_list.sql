-- cmd_apps.c: every application with its result and when it was reached (approvalctl apps).
SELECT a.application_id::text AS application_id, a.portal_ref, a.kind, a.stage,
       extract(epoch FROM a.registered_at)::bigint AS registered,
       extract(epoch FROM a.service_deadline)::bigint AS deadline,
       (SELECT extract(epoch FROM max(t.at))::bigint FROM transitions t
        WHERE t.application_id = a.application_id
          AND t.to_stage IN (SELECT name FROM stages WHERE final)) AS finished
FROM applications a
ORDER BY a.registered_at, a.portal_ref;
