-- cmd_apps.c: one application by its id or portal reference (approvalctl app), the columns of
-- apps_list.sql and its completeness limit and executor.
SELECT a.application_id::text AS application_id, a.portal_ref, a.kind, a.stage,
       extract(epoch FROM a.registered_at)::bigint AS registered,
       extract(epoch FROM a.service_deadline)::bigint AS deadline,
       (SELECT extract(epoch FROM max(t.at))::bigint FROM transitions t
        WHERE t.application_id = a.application_id
          AND t.to_stage IN (SELECT name FROM stages WHERE final)) AS finished,
       extract(epoch FROM a.completeness_due)::bigint AS completeness_due, a.executor
FROM applications a
WHERE a.application_id::text = $1 OR a.portal_ref = $1;
