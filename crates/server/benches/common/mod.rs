//! What the server's benches share.

use rightstat_store::Store;

/// Serves `store` with the default configuration on a free loopback port, in `rt`; returns
/// the base address (`http://127.0.0.1:PORT`).
pub fn serve(rt: &tokio::runtime::Runtime, store: &Store) -> String {
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = rightstat_server::app(store.clone(), Default::default());
        tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
        });
        base
    })
}
