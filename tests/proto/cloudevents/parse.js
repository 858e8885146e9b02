// Parses Kafka messages the workers produced with the CloudEvents JavaScript SDK's Kafka
// binding, as a consumer no one here wrote would: every line of FILE is {key, value, headers}
// (h_read_topic's form). Each must be detected as a CloudEvent (structured mode: the
// content-type header), parse, validate strictly, and carry the id and type of its value.
//   node parse.js FILE        exit 0 when every message parses, 1 otherwise
"use strict";
const fs = require("fs");
const { Kafka } = require("cloudevents");

const lines = fs.readFileSync(process.argv[2], "utf8").split("\n").filter((l) => l.trim());
let bad = 0;
for (const line of lines) {
  const m = JSON.parse(line);
  const value = JSON.parse(m.value);
  try {
    const msg = { key: m.key, value: m.value, headers: m.headers || {} };
    if (!Kafka.isEvent(msg)) throw new Error("No CloudEvent detected");
    const ev = Kafka.toEvent(msg);
    ev.validate();
    if (ev.id !== value.id || ev.type !== value.type || ev.source !== value.source)
      throw new Error(`parsed as ${ev.id} ${ev.type} ${ev.source}`);
  } catch (e) {
    bad++;
    console.error(`cloudevents: message ${value.id} (${value.type}): ${e.message}`);
  }
}
console.log(`cloudevents: ${lines.length - bad} of ${lines.length} messages parsed by the SDK`);
process.exit(bad ? 1 : 0);
