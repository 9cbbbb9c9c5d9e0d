-- Shared by the wrk scripts: awsJson1_1 headers with a SigV4 credential scope (so both
-- servers find the region and service) and a JSON summary line for the runner.
local M = {}

function M.headers(account, operation)
  return {
    ["Content-Type"] = "application/x-amz-json-1.1",
    ["X-Amz-Target"] = "OvertureService." .. operation,
    ["X-Amz-Date"] = "20260101T000000Z",
    ["Authorization"] = "AWS4-HMAC-SHA256 Credential=" .. account
      .. "/20260101/us-east-1/directconnect/aws4_request, "
      .. "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="
      .. string.rep("0", 64),
  }
end

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, '
      .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end

return M
