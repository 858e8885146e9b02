-- dispatcher.c: as page_new.sql, for the sweep (every minute and after a reload): those still
-- short of a request, e.g. when an agency unit was missing and its incident is resolved.
WITH page AS (
    SELECT application_id, registered_at FROM applications a
    WHERE a.stage = 'awaiting_approvals'
      AND (SELECT count(*) FROM agency_requests q WHERE q.application_id = a.application_id)
          + (SELECT count(*) FROM incidents i
             WHERE i.application_id = a.application_id AND i.kind = 'agency_unit_missing'
               AND i.resolved_at IS NULL) < 2
    ORDER BY registered_at LIMIT $1::integer FOR UPDATE SKIP LOCKED)
SELECT a.application_id, b.region, extract(epoch FROM a.completeness_due)::bigint
FROM page JOIN applications a USING (application_id)
LEFT JOIN production_bases b USING (application_id)
ORDER BY page.registered_at;
