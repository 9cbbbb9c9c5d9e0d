# The Terraform cases of tests/e2e/test_terraform.py. They run in one root module with the
# configuration of docs/clients/terraform.md, whose provider blocks they use: `aws` (account
# 111122223333) and `aws.network` (account 444455556666, reached by assuming a role through
# dxlocal's STS). One apply, one plan and one destroy cover everything, so the provider's
# waiters (10 s polls) wait side by side.
variable "vgw" { type = string }

# A connection with tags.
resource "aws_dx_connection" "tagged" {
  name      = "tf-tagged"
  bandwidth = "1Gbps"
  location  = "EqDC2"
  tags      = { Env = "ci", Team = "net" }
}

# A DX gateway with a private VIF, an IPv6 BGP peer and a VGW association.
resource "aws_dx_connection" "private" {
  name      = "tf-private"
  bandwidth = "10Gbps"
  location  = "EqDC2"
}
resource "aws_dx_gateway" "gw" {
  name            = "tf-gateway"
  amazon_side_asn = "64512"
}
resource "aws_dx_private_virtual_interface" "vif" {
  connection_id  = aws_dx_connection.private.id
  dx_gateway_id  = aws_dx_gateway.gw.id
  name           = "tf-private-vif"
  vlan           = 101
  address_family = "ipv4"
  bgp_asn        = 65001
}
resource "aws_dx_bgp_peer" "v6" {
  virtual_interface_id = aws_dx_private_virtual_interface.vif.id
  address_family       = "ipv6"
  bgp_asn              = 65002
}
resource "aws_dx_gateway_association" "vgw" {
  dx_gateway_id         = aws_dx_gateway.gw.id
  associated_gateway_id = var.vgw
  allowed_prefixes      = ["10.10.0.0/16", "10.20.0.0/16"]
}

# A hosted private VIF: allocated by the connection owner, accepted by another account.
resource "aws_dx_connection" "hosting" {
  name      = "tf-hosting"
  bandwidth = "1Gbps"
  location  = "EqDC2"
}
resource "aws_dx_gateway" "accepter" {
  provider        = aws.network
  name            = "tf-accepter-gateway"
  amazon_side_asn = "64513"
}
resource "aws_dx_hosted_private_virtual_interface" "hosted" {
  # Destroyed before the accepter's gateway, which refuses deletion while a VIF is attached.
  depends_on       = [aws_dx_gateway.accepter]
  connection_id    = aws_dx_connection.hosting.id
  owner_account_id = "444455556666"
  name             = "tf-hosted-vif"
  vlan             = 201
  address_family   = "ipv4"
  bgp_asn          = 65010
}
resource "aws_dx_hosted_private_virtual_interface_accepter" "hosted" {
  provider             = aws.network
  virtual_interface_id = aws_dx_hosted_private_virtual_interface.hosted.id
  dx_gateway_id        = aws_dx_gateway.accepter.id
  tags                 = { Side = "accepter" }
}

# A LAG.
resource "aws_dx_lag" "lag" {
  name                  = "tf-lag"
  connections_bandwidth = "1Gbps"
  location              = "EqDC2"
  force_destroy         = true
}

# A public VIF.
resource "aws_dx_connection" "public" {
  name      = "tf-public"
  bandwidth = "1Gbps"
  location  = "EqDC2"
}
resource "aws_dx_public_virtual_interface" "pub" {
  connection_id         = aws_dx_connection.public.id
  name                  = "tf-public-vif"
  vlan                  = 301
  address_family        = "ipv4"
  bgp_asn               = 65020
  customer_address      = "175.45.176.1/30"
  amazon_address        = "175.45.176.2/30"
  route_filter_prefixes = ["210.52.109.0/24", "175.45.176.0/22"]
}

output "ids" {
  value = {
    tagged     = aws_dx_connection.tagged.id
    gateway    = aws_dx_gateway.gw.id
    vif        = aws_dx_private_virtual_interface.vif.id
    peer       = aws_dx_bgp_peer.v6.bgp_peer_id
    assoc      = aws_dx_gateway_association.vgw.dx_gateway_association_id
    hosted     = aws_dx_hosted_private_virtual_interface.hosted.id
    accepter   = aws_dx_gateway.accepter.id
    lag        = aws_dx_lag.lag.id
    public_vif = aws_dx_public_virtual_interface.pub.id
  }
}
