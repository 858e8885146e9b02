-- documents.c
SELECT p.type, p.iin, p.bin, p.name, p.address, a.portal_ref, a.kind, b.region,
b.address, extract(epoch FROM a.submitted_at)::bigint,
(SELECT string_agg(code::text, ',' ORDER BY code) FROM application_subtypes s
 WHERE s.application_id = a.application_id),
(SELECT x.license_number FROM license_annex_requests x WHERE x.application_id = a.application_id),
coalesce((a.special_conditions->>'kk') || E'\n' || (a.special_conditions->>'ru'), '')
FROM unnest($1::uuid[]) WITH ORDINALITY AS i (application_id, ord)
JOIN applications a USING (application_id) JOIN applicants p USING (application_id)
JOIN production_bases b USING (application_id) ORDER BY i.ord;
