-- dispatcher.c
WITH t AS (SELECT r::uuid AS request_id, a::uuid AS application_id, agency, region, base_url,
reply_topic, s::timestamptz AS send_due FROM unnest($2::text[], $3::text[], $4::text[],
$5::text[], $6::text[], $7::text[], $8::text[]) AS x(r, a, agency, region, base_url,
reply_topic, s)),
base AS MATERIALIZED (SELECT a.application_id, jsonb_build_object(
'application_id', a.application_id,
'applicant', jsonb_strip_nulls(jsonb_build_object('type', p.type, 'iin', p.iin,
'bin', p.bin, 'name', p.name, 'address', p.address)),
'subtypes', (SELECT jsonb_agg(s.code ORDER BY s.code) FROM application_subtypes s
WHERE s.application_id = a.application_id),
'production_base', jsonb_build_object('region', b.region, 'address', b.address),
'documents', COALESCE((SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
'kind', d.kind, 'id', d.doc_id, 'sha256', d.sha256, 'signed_by', d.signed_by))
ORDER BY d.seq) FROM application_documents d
WHERE d.application_id = a.application_id), '[]'::jsonb)) AS body
FROM applications a LEFT JOIN applicants p USING (application_id)
LEFT JOIN production_bases b USING (application_id)
WHERE a.application_id IN (SELECT application_id FROM t))
INSERT INTO agency_requests (request_id, application_id, agency, region, base_url, body,
next_attempt_at, send_due)
SELECT t.request_id, t.application_id, t.agency, t.region, t.base_url,
base.body || jsonb_build_object('request_id', t.request_id, 'agency', t.agency,
'region', t.region, 'reply_topic', t.reply_topic, 'reply_due_at', $1::text),
now(), t.send_due
FROM t JOIN base USING (application_id)
ON CONFLICT (application_id, agency) DO NOTHING;
