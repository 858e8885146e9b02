-- dispatcher.c: a page ($1 rows) of applications waiting for their requests, locked (SKIP LOCKED: another
-- dispatcher takes the next page), with the region of each and the 2-WD limit for sending.
-- New ones come from the partial index of those never handled.
WITH page AS (
    SELECT application_id, registered_at FROM applications a
    WHERE a.stage = 'awaiting_approvals' AND a.approvals_requested_at IS NULL
    ORDER BY registered_at LIMIT $1::integer FOR UPDATE SKIP LOCKED)
SELECT a.application_id, b.region, extract(epoch FROM a.completeness_due)::bigint
FROM page JOIN applications a USING (application_id)
LEFT JOIN production_bases b USING (application_id)
ORDER BY page.registered_at;
