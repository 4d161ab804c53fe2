-- wrk script for benches/intake-load.sh: every request is a new referral from one of two
-- partners for a client of its own, as JSON, from the portal's origin.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  failures = 0
  created = 0
end

request = function()
  counter = counter + 1
  local partner = (counter % 2 == 0) and "harbor" or "birch"
  local body = string.format(
    '{"partner_id":"%s","referrer_name":"Ana Ruiz","referrer_email":"ana@harbor.example",' ..
    '"client_org":"Client %d-%d","client_domain":"client-%d-%d.example",' ..
    '"client_contact_name":"Jo Park","challenge":"Their month-end close takes three weeks.",' ..
    '"client_consent":true,"idempotency_key":"bench-%d-%d","website":""}',
    partner, id, counter, id, counter, id, counter)
  return wrk.format("POST", "/referrals", {
    ["Origin"] = "https://partners.example.com",
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }, body)
end

response = function(status, headers, body)
  if status == 201 then created = created + 1 else failures = failures + 1 end
end

done = function(summary, latency, requests)
  local made, failed = 0, 0
  for _, thread in ipairs(threads) do
    made = made + thread:get("created")
    failed = failed + thread:get("failures")
  end
  io.write(string.format("answered 201: %d, other answers: %d\n", made, failed))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
