import assert from "node:assert/strict";
import { test } from "node:test";
import { addressProblem } from "../../server/services/alerts/outbound";

test("loopback, private, CGNAT and unique-local addresses are refused unless private targets are allowed", () => {
  for (const ip of ["127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "::1", "fd00::1", "fc12::3", "fd00:ec2::254"]) {
    assert.ok(addressProblem(ip, false), `${ip} is refused`);
    assert.equal(addressProblem(ip, true), null, `${ip} is allowed with private targets on`);
  }
});

test("link-local, metadata, unspecified and multicast addresses are refused even with private targets allowed", () => {
  for (const ip of ["169.254.169.254", "169.254.0.1", "0.0.0.0", "0.1.2.3", "::", "fe80::1", "224.0.0.1", "255.255.255.255", "ff02::1"])
    assert.ok(addressProblem(ip, true), `${ip} is refused`);
  assert.match(addressProblem("169.254.169.254", true)!, /metadata/);
});

test("IPv4 inside IPv6 (mapped, compatible, NAT64, 6to4) is judged by the IPv4 address", () => {
  for (const ip of ["::ffff:127.0.0.1", "::ffff:7f00:1", "0:0:0:0:0:ffff:a9fe:a9fe", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "::127.0.0.1"])
    assert.ok(addressProblem(ip, false), `${ip} is refused`);
  assert.ok(addressProblem("::ffff:169.254.169.254", true), "mapped metadata stays refused");
  assert.equal(addressProblem("::ffff:8.8.8.8", false), null);
  assert.equal(addressProblem("2002:808:808::1", false), null);
});

test("public addresses pass", () => {
  for (const ip of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111"]) assert.equal(addressProblem(ip, false), null, ip);
  assert.equal(addressProblem("example.com", false), "not an IP address");
});
