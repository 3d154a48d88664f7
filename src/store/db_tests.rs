//! Browser tests of the IndexedDB layer against Chromium's real IndexedDB
//! (`cargo xtask test` runs them with wasm-bindgen-test-runner).

use super::*;
use crate::store::journal::{Batch, Record};
use monscope_core::mon::store::Transaction;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// A database of its own for each test, deleted first.
async fn fresh(name: &str, version: u32) -> Database {
    let f = factory().unwrap();
    let req: IdbRequest = f.delete_database(name).unwrap().unchecked_into();
    done(&req).await.unwrap();
    open_version(name, version, || panic!("blocked"))
        .await
        .unwrap()
}

fn record(seq: u64, node: NodeId, key: &str, v: u64) -> Record {
    let mut tx = Transaction::new();
    tx.put_u64("paxos", key, v);
    Record {
        seq,
        node,
        tx: tx.encode(),
    }
}

fn batch(reset: bool, records: Vec<Record>, t: Time) -> Batch {
    let next_seq = records.last().map_or(0, |r| r.seq + 1);
    Batch {
        reset,
        records,
        text: std::rc::Rc::new("mons a b c\n".into()),
        t,
        next_seq,
    }
}

/// As the page's first write: both texts go with their records.
const BOTH: NewTexts = NewTexts {
    session: true,
    position: true,
};

type Task<T> = Pin<Box<dyn Future<Output = T>>>;

/// Poll every future until all are done (they run concurrently).
struct JoinAll<T>(Vec<Option<Task<T>>>, Vec<Option<T>>);

impl<T: Unpin> Future for JoinAll<T> {
    type Output = Vec<T>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<T>> {
        let me = &mut *self;
        for (slot, out) in me.0.iter_mut().zip(me.1.iter_mut()) {
            if let Some(f) = slot {
                if let Poll::Ready(v) = f.as_mut().poll(cx) {
                    *out = Some(v);
                    *slot = None;
                }
            }
        }
        if me.0.iter().all(Option::is_none) {
            Poll::Ready(me.1.iter_mut().map(|o| o.take().unwrap()).collect())
        } else {
            Poll::Pending
        }
    }
}

#[wasm_bindgen_test]
async fn a_multi_key_transaction_is_all_or_nothing() {
    let db = fresh("monscope-test-atomic", VERSION).await;
    save_scenario(&db, "taken", "mons a\n", false)
        .await
        .unwrap();
    // Two puts, then an add of a taken name: IndexedDB aborts the whole transaction.
    let r = write(&db, &[SCENARIOS], &mut |tx| {
        let s = store(tx, SCENARIOS)?;
        js(s.put_with_key(&scenario_js("one", "mons a\n"), &JsValue::from_str("one")))?;
        js(s.put_with_key(&scenario_js("two", "mons a\n"), &JsValue::from_str("two")))?;
        js(s.add_with_key(
            &scenario_js("taken", "mons b\n"),
            &JsValue::from_str("taken"),
        ))?;
        Ok(())
    })
    .await;
    assert_eq!(r.unwrap_err().name, "ConstraintError");
    let (mine, problems) = scenarios(&db).await.unwrap();
    assert!(problems.is_empty());
    assert_eq!(mine, vec![("taken".to_string(), "mons a\n".to_string())]);
    // A journal batch with its position commits together.
    write_batch(
        &db,
        Some(&batch(
            true,
            vec![record(0, 0, "a", 1), record(1, 1, "b", 2)],
            7,
        )),
        None,
        BOTH,
    )
    .await
    .unwrap();
    let l = load(&db).await.unwrap();
    assert_eq!(l.records.len(), 2);
    assert_eq!(l.position.unwrap().t, 7);
    db.close();
}

#[wasm_bindgen_test]
async fn a_failed_write_is_an_error_and_changes_nothing() {
    let db = fresh("monscope-test-fail", VERSION).await;
    save_scenario(&db, "mine", "mons a\n", false).await.unwrap();
    let e = save_scenario(&db, "mine", "mons b\n", false)
        .await
        .unwrap_err();
    assert_eq!(e.name, "ConstraintError", "{e}");
    // Renaming onto a taken name fails whole: the old one is not deleted.
    save_scenario(&db, "other", "mons c\n", false)
        .await
        .unwrap();
    let e = rename_scenario(&db, "other", "mine", "mons c\n")
        .await
        .unwrap_err();
    assert_eq!(e.name, "ConstraintError");
    let (mine, _) = scenarios(&db).await.unwrap();
    let names: Vec<&str> = mine.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["mine", "other"]);
    assert_eq!(mine[0].1, "mons a\n");
    // A request that cannot even be issued (a store outside the
    // transaction's scope) aborts what was issued before it.
    let r = write(&db, &[SESSION], &mut |tx| {
        js(store(tx, SESSION)?.put_with_key(&JsValue::from(1), &JsValue::from_str("x")))?;
        store(tx, JOURNAL).map(|_| ())
    })
    .await;
    assert!(r.is_err());
    let tx = transaction(&db, &[SESSION], IdbTransactionMode::Readonly).unwrap();
    let got = done(
        &store(&tx, SESSION)
            .unwrap()
            .get(&JsValue::from_str("x"))
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(got.is_undefined(), "the aborted put was applied");
    db.close();
}

#[wasm_bindgen_test]
async fn many_quick_transactions_keep_their_order() {
    let db = fresh("monscope-test-order", VERSION).await;
    // 200 batches started at once, without waiting for each other: IndexedDB
    // runs overlapping read-write transactions in the order they were created.
    let n = 200u64;
    let futures: Vec<Option<Task<Res<()>>>> = (0..n)
        .map(|i| {
            let db = db.clone();
            let f: Task<Res<()>> = Box::pin(async move {
                let b = batch(
                    i == 0,
                    vec![record(i, (i % 3) as NodeId, "last_committed", i)],
                    i,
                );
                write_batch(&db, Some(&b), None, BOTH).await
            });
            Some(f)
        })
        .collect();
    let count = futures.len();
    let results = JoinAll(futures, (0..count).map(|_| None).collect()).await;
    assert!(results.iter().all(Result::is_ok));
    let l = load(&db).await.unwrap();
    let seqs: Vec<u64> = l.records.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (0..n).collect::<Vec<_>>());
    // The position is the last transaction's: none was reordered.
    let p = l.position.unwrap();
    assert_eq!((p.t, p.next_seq), (n - 1, n));
    db.close();
}

#[wasm_bindgen_test]
async fn data_is_there_after_closing_and_reopening() {
    let name = "monscope-test-reopen";
    let db = fresh(name, VERSION).await;
    let session = a_session();
    write_batch(
        &db,
        Some(&batch(true, vec![record(0, 2, "x", 9)], 3)),
        Some(&session),
        BOTH,
    )
    .await
    .unwrap();
    save_scenario(&db, "kept", "mons k\n", true).await.unwrap();
    db.close();
    let db = open_version(name, VERSION, || panic!("blocked"))
        .await
        .unwrap();
    let l = load(&db).await.unwrap();
    assert_eq!(l.session, Some(session));
    assert_eq!(l.records, vec![record(0, 2, "x", 9)]);
    assert!(l.problems.is_empty());
    assert_eq!(scenarios(&db).await.unwrap().0[0].0, "kept");
    db.close();
}

fn a_session() -> crate::store::session::Session {
    crate::store::session::Session {
        text: std::rc::Rc::new("mons a b c\nat 1s kill a\n".to_string()),
        t: 1_500_000,
        sel: Some("b".into()),
        event: None,
        link: Some((0, 2)),
        speed: 0.5,
        skip_quiet: false,
        help: true,
        win_start: 1_000_000,
        win_span: 500_000,
        follow: false,
        stem: None,
    }
}

/// A record as schema versions 1 and 2 wrote it: its text inline.
fn inline_text(record: JsValue, text: &str) -> JsValue {
    set(record.unchecked_ref(), "text", text);
    record
}

#[wasm_bindgen_test]
async fn upgrading_from_version_2_reads_its_records_with_their_texts_inline() {
    let name = "monscope-test-upgrade";
    let db = fresh(name, 2).await;
    assert!(transaction(&db, &[QUARANTINE], IdbTransactionMode::Readonly).is_ok());
    assert!(transaction(&db, &[TEXTS], IdbTransactionMode::Readonly).is_err());
    // What version 2 wrote: the session, the previous one and the journal's
    // position each with its text, and a journal record.
    let (current, mut previous) = (a_session(), a_session());
    previous.text = std::rc::Rc::new("mons p q r\n".into());
    let b = batch(true, vec![record(0, 1, "v", 4)], 11);
    write(&db, &[SESSION, JOURNAL], &mut |tx| {
        let (s, j) = (store(tx, SESSION)?, store(tx, JOURNAL)?);
        let put = |v: JsValue, k: &str| js(s.put_with_key(&v, &JsValue::from_str(k))).map(drop);
        put(inline_text(session_to_js(&current), &current.text), CURRENT)?;
        put(
            inline_text(session_to_js(&previous), &previous.text),
            PREVIOUS,
        )?;
        put(inline_text(position_to_js(&b), &b.text), POSITION)?;
        js(j.put_with_key(&record_to_js(&b.records[0]), &JsValue::from(0)))?;
        Ok(())
    })
    .await
    .unwrap();
    save_scenario(&db, "old", "mons o\n", false).await.unwrap();
    db.close();

    let db = open_version(name, VERSION, || panic!("blocked"))
        .await
        .unwrap();
    assert!(transaction(&db, &[TEXTS], IdbTransactionMode::Readonly).is_ok());
    let l = load(&db).await.unwrap();
    assert!(l.problems.is_empty(), "{:?}", l.problems);
    assert_eq!(l.session.as_ref(), Some(&current));
    assert_eq!(l.previous.as_ref(), Some(&previous));
    let p = l.position.unwrap();
    assert_eq!((p.text.as_str(), p.t, p.next_seq), (b.text.as_str(), 11, 1));
    assert_eq!(l.records, b.records);
    assert_eq!(scenarios(&db).await.unwrap().0.len(), 1);

    // The next writes are of the new shape: the texts apart, written once.
    let mut moved = current.clone();
    moved.t = 2_000_000;
    write_batch(&db, None, Some(&moved), BOTH).await.unwrap();
    moved.t = 2_500_000;
    let no_text = NewTexts::default();
    write_batch(&db, None, Some(&moved), no_text).await.unwrap();
    let l = load(&db).await.unwrap();
    assert_eq!(l.session, Some(moved));
    assert_eq!(
        l.previous,
        Some(previous),
        "an old record not rewritten still reads"
    );
    assert!(l.problems.is_empty(), "{:?}", l.problems);

    // A record of the new shape whose text is missing is set aside, and says why.
    let tx = transaction(&db, &[TEXTS], IdbTransactionMode::Readwrite).unwrap();
    let _ = store(&tx, TEXTS)
        .unwrap()
        .delete(&JsValue::from_str(CURRENT));
    finished(&tx).await.unwrap();
    let l = load(&db).await.unwrap();
    assert_eq!(l.session, None);
    assert_eq!(
        l.problems,
        ["session current: its text is missing (IndexedDB store \"texts\")"]
    );
    // And an unreadable record found after the upgrade goes to quarantine.
    let tx = transaction(&db, &[JOURNAL], IdbTransactionMode::Readwrite).unwrap();
    let _ = store(&tx, JOURNAL)
        .unwrap()
        .put_with_key(&JsValue::from_str("junk"), &JsValue::from(1));
    finished(&tx).await.unwrap();
    let l = load(&db).await.unwrap();
    assert_eq!(l.problems.len(), 1, "{:?}", l.problems);
    assert!(l.problems[0].starts_with("journal record 1: the record is not an object"));
    assert_eq!(l.records.len(), 1);
    db.close();
    // A newer database than this app is an error, not a crash.
    let e = open_version(name, VERSION - 1, || ()).await.unwrap_err();
    assert!(matches!(e, OpenError::TooNew(_)), "{e:?}");
}
