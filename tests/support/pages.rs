//! Page objects: what a person sees and does, by `data-testid`.

use fantoccini::{Client, Locator};

use super::{testid, wait_for};

/// The shell around every page: header, navigation, sync status.
pub struct Shell<'a> {
    pub client: &'a Client,
}

impl<'a> Shell<'a> {
    pub async fn open(client: &'a Client, base_url: &str) -> Self {
        client.goto(base_url).await.expect("open the app");
        wait_for(client, &testid("app-header")).await;
        Self { client }
    }

    async fn text(&self, id: &str) -> String {
        wait_for(self.client, &testid(id)).await.text().await.unwrap()
    }

    pub async fn workspace_name(&self) -> String {
        self.text("workspace-name").await
    }

    pub async fn sync_state(&self) -> String {
        self.text("sync-state").await
    }

    pub async fn nav_labels(&self) -> Vec<String> {
        let nav = wait_for(self.client, &testid("nav")).await;
        let mut labels = Vec::new();
        for link in nav.find_all(Locator::Css("a")).await.unwrap() {
            labels.push(link.text().await.unwrap());
        }
        labels
    }

    /// Follows a navigation link and waits for its page.
    pub async fn go(&self, nav_id: &str, page_id: &str) -> String {
        wait_for(self.client, &testid(nav_id)).await.click().await.unwrap();
        let page = wait_for(self.client, &testid(page_id)).await;
        page.find(Locator::Css("h2")).await.unwrap().text().await.unwrap()
    }

    pub async fn current_nav(&self) -> String {
        wait_for(self.client, "[data-testid=\"nav\"] a[aria-current=\"page\"]").await.text().await.unwrap()
    }
}
