//! A value a process keeps in memory while a generation counter in the database stays the same
//! (the area index under `area_generation`, the catalogue under `catalogue_generation`, both
//! bumped in the transaction of every change). Read again when the generation moved; one reader
//! at a time, so that requests arriving together after a change (or at start) wait for the
//! first one's read instead of each reading it.

use crate::Result;
use std::sync::Arc;

#[derive(Debug)]
pub(crate) struct Generational<T> {
    kept: std::sync::Mutex<Option<(i64, Arc<T>)>>,
    reading: tokio::sync::Mutex<()>,
}

impl<T> Default for Generational<T> {
    fn default() -> Self {
        Generational { kept: Default::default(), reading: Default::default() }
    }
}

impl<T> Generational<T> {
    fn at(&self, generation: i64) -> Option<Arc<T>> {
        self.kept.lock().expect("generational cache").as_ref().filter(|(g, _)| *g == generation).map(|(_, v)| v.clone())
    }

    /// The value kept at `generation`, else `read` and keep it. The caller reads the generation
    /// before calling: a change committed during `read` leaves the value under the older
    /// generation, which the next call reads again.
    pub(crate) async fn get<F: std::future::Future<Output = Result<T>>>(
        &self,
        generation: i64,
        read: impl FnOnce() -> F,
    ) -> Result<Arc<T>> {
        if let Some(v) = self.at(generation) {
            return Ok(v);
        }
        let _reading = self.reading.lock().await;
        if let Some(v) = self.at(generation) {
            return Ok(v);
        }
        let v = Arc::new(read().await?);
        *self.kept.lock().expect("generational cache") = Some((generation, v.clone()));
        Ok(v)
    }
}
