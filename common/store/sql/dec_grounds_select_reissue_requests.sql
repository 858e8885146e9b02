-- decision.c
SELECT v.holder_id, v.holder_name FROM reissue_requests q
JOIN applications a USING (application_id)
JOIN applicants p USING (application_id)
JOIN license_versions v ON v.number = q.license_number
WHERE q.application_id = $1 AND a.kind = 'reissue_split'
AND v.kind = 'reissue_split' AND v.holder_id <> coalesce(p.bin, p.iin)
ORDER BY v.version LIMIT 1;
