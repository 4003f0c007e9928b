//! The conversions between `wasi:sockets` addresses and `std::net`'s, written once for both
//! versions of the interface: `wasi:sockets@0.2` (the `wasip2` crate, `super::sockets`) and
//! `@0.3` (the async build's bindings, `super::async_sockets`) have types of the same names
//! and shapes that are different Rust types, so each socket module expands
//! `socket_address_conversions` over its own.

/// Defines `ip_of` (an `ip-address` as an [`std::net::IpAddr`]) and `socket_address` (an
/// address and port as the family and `ip-socket-address` to connect to) over the types
/// `IpAddress`, `IpAddressFamily`, `IpSocketAddress`, `Ipv4SocketAddress` and
/// `Ipv6SocketAddress` (and `std::net::IpAddr`) in scope where it is expanded.
macro_rules! socket_address_conversions {
    () => {
        fn ip_of(address: IpAddress) -> IpAddr {
            match address {
                IpAddress::Ipv4((a, b, c, d)) => IpAddr::from([a, b, c, d]),
                IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => IpAddr::from([a, b, c, d, e, f, g, h]),
            }
        }

        fn socket_address(ip: IpAddr, port: u16) -> (IpAddressFamily, IpSocketAddress) {
            match ip {
                IpAddr::V4(v4) => {
                    let [a, b, c, d] = v4.octets();
                    (
                        IpAddressFamily::Ipv4,
                        IpSocketAddress::Ipv4(Ipv4SocketAddress {
                            port,
                            address: (a, b, c, d),
                        }),
                    )
                }
                IpAddr::V6(v6) => {
                    let [a, b, c, d, e, f, g, h] = v6.segments();
                    (
                        IpAddressFamily::Ipv6,
                        IpSocketAddress::Ipv6(Ipv6SocketAddress {
                            port,
                            flow_info: 0,
                            address: (a, b, c, d, e, f, g, h),
                            scope_id: 0,
                        }),
                    )
                }
            }
        }
    };
}

pub(super) use socket_address_conversions;
