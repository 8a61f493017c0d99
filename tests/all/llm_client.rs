//! The chat-completions client against a real local HTTP server answering from a script.

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use robosim::llm::{
    ChatRequest, Client, ClientConfig, Error, Message, TextRequest,
    mock::{Reply, ScriptedServer},
};

fn config(server: &ScriptedServer) -> ClientConfig {
    let mut config = ClientConfig::new(server.base_url(), "test-model");
    config.backoff = Duration::from_millis(5);
    config.max_backoff = Duration::from_millis(50);
    config.timeout = Duration::from_secs(5);
    config.retries = 3;
    config
}

fn hello() -> ChatRequest {
    ChatRequest::new(vec![Message::system("Be brief."), Message::user("hello")])
}

#[test]
fn sends_the_request_and_reads_the_answer() {
    let server = ScriptedServer::start(|_, _| Reply::content("hi there")).unwrap();
    let mut config = config(&server);
    config.api_key = Some("sk-test".into());
    config.temperature = 0.25;
    let client = Client::new(config);
    let answer = client.chat(&hello().sample(7)).unwrap();
    assert_eq!((answer.content.as_str(), answer.finish_reason.as_deref()), ("hi there", Some("stop")));
    assert_eq!((answer.cached, answer.attempts), (false, 1));
    let received = server.received();
    let body = &received[0].body;
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["temperature"], 0.25);
    assert_eq!(body["seed"], 7);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(received[0].last_user(), "hello");
    assert_eq!(received[0].authorization.as_deref(), Some("Bearer sk-test"));
}

#[test]
fn retries_429_and_5xx_then_succeeds() {
    let server = ScriptedServer::start(|_, n| match n {
        0 => Reply::raw(429, r#"{"error":"slow down"}"#).header("retry-after", "0"),
        1 => Reply::raw(503, "overloaded"),
        _ => Reply::content("ok"),
    })
    .unwrap();
    let client = Client::new(config(&server));
    let answer = client.chat(&hello()).unwrap();
    assert_eq!((answer.content.as_str(), answer.attempts), ("ok", 3));
    let stats = client.stats();
    assert_eq!((stats.requests, stats.retries, stats.failures), (3, 2, 0));
}

#[test]
fn gives_up_after_the_retries_with_the_last_status() {
    let server = ScriptedServer::start(|_, _| Reply::raw(500, "boom")).unwrap();
    let client = Client::new(config(&server));
    match client.chat(&hello()) {
        Err(Error::Status { status: 500, attempts: 4, ref body }) => assert_eq!(body, "boom"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received().len(), 4);
    assert_eq!(client.stats().failures, 1);
}

#[test]
fn client_errors_are_not_retried() {
    let server = ScriptedServer::start(|_, _| Reply::raw(400, r#"{"error":"bad model"}"#)).unwrap();
    let client = Client::new(config(&server));
    assert!(matches!(client.chat(&hello()), Err(Error::Status { status: 400, attempts: 1, .. })));
    assert_eq!(server.received().len(), 1);
}

#[test]
fn malformed_answers_are_retried_and_named() {
    // Truncated JSON, then no choices, then a choice without content, then a good answer.
    let server = ScriptedServer::start(|_, n| match n {
        0 => Reply::raw(200, r#"{"choices":[{"message":{"role":"assistant","content":"hel"#),
        1 => Reply::raw(200, r#"{"choices":[]}"#),
        2 => Reply::raw(200, r#"{"choices":[{"message":{"role":"assistant"}}]}"#),
        _ => Reply::content("hello"),
    })
    .unwrap();
    let client = Client::new(config(&server));
    assert_eq!(client.chat(&hello()).unwrap().attempts, 4);

    let server = ScriptedServer::start(|_, _| Reply::raw(200, r#"{"choices":[]}"#)).unwrap();
    let client = Client::new(config(&server));
    match client.chat(&hello()) {
        Err(Error::Malformed { reason, attempts: 4 }) => assert_eq!(reason, "empty `choices`"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_slow_answer_times_out_and_is_retried() {
    let server = ScriptedServer::start(|_, n| {
        let reply = Reply::content("late but fine");
        if n == 0 { reply.delay(Duration::from_secs(3)) } else { reply }
    })
    .unwrap();
    let mut config = config(&server);
    config.timeout = Duration::from_millis(300);
    let client = Client::new(config);
    let started = Instant::now();
    let answer = client.chat(&hello()).unwrap();
    assert_eq!((answer.content.as_str(), answer.attempts), ("late but fine", 2));
    assert!(started.elapsed() < Duration::from_secs(3), "the client waited for the slow answer");
}

#[test]
fn a_server_that_never_answers_in_time_is_a_timeout_error() {
    let server = ScriptedServer::start(|_, _| Reply::content("never seen").delay(Duration::from_secs(2))).unwrap();
    let mut config = config(&server);
    config.timeout = Duration::from_millis(200);
    config.retries = 1;
    let client = Client::new(config);
    assert!(matches!(client.chat(&hello()), Err(Error::Timeout { timeout_ms: 200, attempts: 2 })));
}

#[test]
fn a_refused_connection_is_a_transport_error() {
    // A port nobody listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut config = ClientConfig::new(format!("http://127.0.0.1:{port}/v1"), "m");
    (config.retries, config.backoff) = (1, Duration::from_millis(1));
    let error = Client::new(config).chat(&hello()).unwrap_err();
    assert!(matches!(error, Error::Transport { attempts: 2, .. }), "{error:?}");
}

#[test]
fn answers_are_cached_on_disk_across_clients() {
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = ScriptedServer::start(move |request, _| {
        counter.fetch_add(1, Ordering::Relaxed);
        Reply::content(format!("sample {}", request.body["seed"]))
    })
    .unwrap();
    let tmp = crate::Dir::new("llm-cache");
    let dir = tmp.path("cache");
    let mut config = config(&server);
    config.cache_dir = Some(dir.clone());
    let first = Client::new(config.clone());
    assert_eq!(first.chat(&hello()).unwrap().content, "sample 0");
    assert_eq!(first.chat(&hello().sample(1)).unwrap().content, "sample 1", "another sample is another request");
    // A new client (a new run) with the same cache pays nothing.
    let second = Client::new(config.clone());
    let again = second.chat(&hello()).unwrap();
    assert_eq!((again.content.as_str(), again.cached), ("sample 0", true));
    assert_eq!(calls.load(Ordering::Relaxed), 2);
    assert_eq!(second.stats().cache_hits, 1);
    // A different setting is a different request.
    config.temperature = 0.1;
    assert!(!Client::new(config.clone()).chat(&hello()).unwrap().cached);
    // A damaged entry is a miss, not an error.
    for entry in crate::files_under(&dir) {
        std::fs::write(entry, "{torn").unwrap();
    }
    assert!(!Client::new(config).chat(&hello()).unwrap().cached);
}

#[test]
fn failures_are_not_cached() {
    let server =
        ScriptedServer::start(|_, n| if n == 0 { Reply::raw(400, "no") } else { Reply::content("yes") }).unwrap();
    let mut config = config(&server);
    let tmp = crate::Dir::new("llm-cache-failures");
    config.cache_dir = Some(tmp.path("cache"));
    assert!(Client::new(config.clone()).chat(&hello()).is_err());
    assert_eq!(Client::new(config).chat(&hello()).unwrap().content, "yes");
}

#[test]
fn a_text_completion_goes_to_the_completions_endpoint_with_its_stop_strings() {
    let server = ScriptedServer::start(|request, _| Reply::answer(request, "    say(\"hi\")\n")).unwrap();
    let client = Client::new(config(&server));
    let mut request = TextRequest::new("def task_program():\n");
    request.stop = vec!["\ndef".into(), "```".into()];
    request.temperature = Some(0.2);
    request.sample = 3;
    let answer = client.complete(&request).unwrap();
    assert_eq!(answer.content, "    say(\"hi\")\n");
    let received = server.received();
    assert_eq!(received[0].path, "/v1/completions");
    assert_eq!(received[0].prompt(), "def task_program():\n");
    assert_eq!(received[0].body["stop"], serde_json::json!(["\ndef", "```"]));
    assert_eq!((received[0].body["temperature"].as_f64(), received[0].body["seed"].as_u64()), (Some(0.2), Some(3)));
    // A chat request that sets no stop strings sends the body it always sent (so the cache
    // keys of earlier runs still match).
    client.chat(&hello()).unwrap();
    let chat = &server.received()[1];
    assert_eq!(chat.path, "/v1/chat/completions");
    let mut keys: Vec<&str> = chat.body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["max_tokens", "messages", "model", "seed", "stream", "temperature", "top_p"]);
}
