-- registries.c: for each application of a round ($1), what the registries are asked about and
-- what their answers are compared with: the applicant, the sub-activities, the license
-- re-registered (its holder) and the grounds of the re-registration, the answers kept from an
-- earlier attempt (not older than $2 seconds: a ban may have come since), the stage; and, for
-- the split's ground 3, the license's holder before the current one and the reorganisation
-- the registry named when the license passed to the current holder by a split; and whether the
-- license re-registered (or annexed, Standard row 5) is missing from the register (to be
-- imported first), and its number.
SELECT a.application_id, a.kind, p.type, coalesce(p.bin, p.iin), p.name, p.address,
       a.needs_approvals,
       (SELECT string_agg(s.code::text, ',' ORDER BY s.code) FROM application_subtypes s
         WHERE s.application_id = a.application_id),
       l.holder_id,
       (SELECT string_agg(g.ground, ',') FROM reissue_grounds g
         WHERE g.application_id = a.application_id),
       (SELECT json_object_agg(x.service_id, x.answer) FROM registry_answers x
         WHERE x.application_id = a.application_id
           AND x.answered_at > now() - make_interval(secs => $2::int))::text,
       a.stage,
       r.reorganization,
       (SELECT v.holder_id FROM license_versions v
         WHERE v.number = l.number AND v.version < l.version AND v.holder_id <> l.holder_id
         ORDER BY v.version DESC LIMIT 1),
       l.holder_name,
       (SELECT x.answer -> 'predecessors' FROM license_versions v
          JOIN registry_answers x ON x.application_id = v.application_id
                                 AND x.service_id = 'GBDUL_ENTITY'
         WHERE v.number = l.number AND v.version = l.version AND v.kind = 'reissue_split')::text,
       coalesce(r.license_number, ar.license_number) IS NOT NULL AND l.number IS NULL,
       coalesce(r.license_number, ar.license_number)
FROM applications a JOIN applicants p USING (application_id)
LEFT JOIN reissue_requests r USING (application_id)
LEFT JOIN license_annex_requests ar USING (application_id)
LEFT JOIN licenses l ON l.number = coalesce(r.license_number, ar.license_number)
WHERE a.application_id = ANY ($1::uuid[]);
