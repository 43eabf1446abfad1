# Side check (not a fixture): how well does a plain MLP on the 30 one-hot NB201 op values rank, trained with
# ReNAS's RankLoss on 1,000 architectures of the torch randperm split (seed 1 and 2)? Prints held-out Kendall tau-b
# against test accuracy. Run: /usr/bin/python3 ranker/testdata/mlp_onehot_check.py (needs torch; ~6 min on 2 cores).
# Result on 2026-11-27: 0.794 (seed 1), 0.807 (seed 2). README, "Improved mode".
import gzip, json, os, numpy as np, torch, re
torch.set_num_threads(1)
d=json.load(gzip.open(os.path.join(os.path.dirname(__file__), '../../../shared/data/nasbench201/nasbench201_with_edge_flops_and_params.json.gz'))
OPS=['none','skip_connect','nor_conv_1x1','nor_conv_3x3','avg_pool_3x3']
X=np.zeros((15625,30),np.float32)
for i in range(15625):
    ops=re.findall(r'\|([a-z_0-9]+)~\d', d[str(i)]['arch_str'])
    for e,o in enumerate(ops): X[i,e*5+OPS.index(o)]=1
def taub(x,y):
    x=torch.tensor(x,dtype=torch.float64); y=torch.tensor(y,dtype=torch.float64)
    c=tx=ty=0.
    for i in range(0,len(x),2000):
        dx=torch.sign(x[i:i+2000,None]-x[None,:]); dy=torch.sign(y[i:i+2000,None]-y[None,:])
        c+=(dx*dy).sum().item(); tx+=(dx!=0).sum().item(); ty+=(dy!=0).sum().item()
    return c/np.sqrt(tx*ty)
ds='cifar10'
v=np.array([d[str(i)][ds+'_val_acc'] for i in range(15625)],np.float32); t=np.array([d[str(i)][ds+'_test_acc'] for i in range(15625)])
for seed in [1,2]:
    g=torch.Generator().manual_seed(seed); perm=torch.randperm(15625,generator=g).numpy()
    tr,ho=perm[:1000],perm[1256:]
    torch.manual_seed(seed)
    net=torch.nn.Sequential(torch.nn.Linear(30,256),torch.nn.ReLU(),torch.nn.Linear(256,256),torch.nn.ReLU(),torch.nn.Linear(256,1))
    opt=torch.optim.AdamW(net.parameters(),1e-3,weight_decay=1e-2)
    xt=torch.tensor(X[tr]); yt=torch.tensor(v[tr])
    for ep in range(300):
        p=torch.randperm(1000)
        for b in range(0,1000,128):
            idx=p[b:b+128]; s=net(xt[idx]).squeeze(1); y=yt[idx]
            sg=torch.sign(y[:,None]-y[None,:]); ds_=s[:,None]-s[None,:]
            loss=torch.nn.functional.softplus(-ds_*sg)[sg!=0].mean()
            opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad(): sc=net(torch.tensor(X[ho])).squeeze(1).numpy()
    print('seed',seed,'MLP one-hot rank loss tau_b vs test', round(taub(sc,t[ho]),3))
