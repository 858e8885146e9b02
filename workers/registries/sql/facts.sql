-- registries.c: for each application of a round ($1), what the registries are asked about and
-- what their answers are compared with: the applicant, the sub-activities, the license
-- re-registered (its holder) and the grounds of the re-registration, the answers kept from an
-- earlier attempt, the stage, and every holder the license has had (a split's successors are
-- named after the holder before it).
SELECT a.application_id, a.kind, p.type, coalesce(p.bin, p.iin), p.name, p.address,
       a.needs_approvals,
       (SELECT string_agg(s.code::text, ',' ORDER BY s.code) FROM application_subtypes s
         WHERE s.application_id = a.application_id),
       l.holder_id,
       (SELECT string_agg(g.ground, ',') FROM reissue_grounds g
         WHERE g.application_id = a.application_id),
       (SELECT json_object_agg(x.service_id, x.answer) FROM registry_answers x
         WHERE x.application_id = a.application_id)::text,
       a.stage,
       (SELECT string_agg(DISTINCT v.holder_id, ',') FROM license_versions v
         WHERE v.number = r.license_number)
FROM applications a JOIN applicants p USING (application_id)
LEFT JOIN reissue_requests r USING (application_id)
LEFT JOIN licenses l ON l.number = r.license_number
WHERE a.application_id = ANY ($1::uuid[]);
