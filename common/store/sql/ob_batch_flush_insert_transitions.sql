-- state.c
INSERT INTO transitions (application_id, from_stage, to_stage, at,
cause_kind, cause_event_id, cause_topic, cause_partition, cause_offset,
cause_timer_id, cause_actor, cause_request_id)
SELECT x.app::uuid, x.fr, x.tto, x.at::timestamptz, x.kind, x.ev,
x.topic, x.part::integer, x.off::bigint, x.timer::bigint, x.actor, x.req::uuid
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
$6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
$11::text[], $12::text[]) WITH ORDINALITY
AS x(app, fr, tto, at, kind, ev, topic, part, off, timer, actor, req, n)
ORDER BY x.n;
